import type { ReactNode } from "react";

export function Alert({ children, tone = "red" }: { children: ReactNode; tone?: "red" | "amber" | "green" }) {
  const tones = {
    red: "bg-red-50 text-red-700 ring-red-200",
    amber: "bg-amber-50 text-amber-800 ring-amber-200",
    green: "bg-green-50 text-green-800 ring-green-200",
  };
  return (
    <p role="alert" className={`rounded-md px-3 py-2 text-sm ring-1 ${tones[tone]}`}>
      {children}
    </p>
  );
}
