import { Fragment } from "react";
import { cn } from "./cn";

/**
 * A path or URL that wraps after a "/" or "@" rather than mid-name, so
 * "…/pipelines/hello/main.nf" breaks as "…/pipelines/ hello/main.nf", never "main.n f". A segment
 * longer than the line still wraps anywhere rather than overflowing. The full text is its title.
 */
export function PathText({ children, className }: { children: string; className?: string }) {
  const parts = children.split(/(?<=[/@])/);
  return (
    <span title={children} className={cn("[overflow-wrap:anywhere]", className)}>
      {parts.map((part, i) => (
        <Fragment key={i}>
          {part}
          {i < parts.length - 1 ? <wbr /> : null}
        </Fragment>
      ))}
    </span>
  );
}
