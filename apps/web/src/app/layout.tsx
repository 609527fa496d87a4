import type { Metadata } from "next";
import type { ReactNode } from "react";
import { Providers } from "~/trpc/react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Lockstep", template: "%s · Lockstep" },
  description: "Pipeline secrets and Nextflow launches for research and data teams",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" className="h-full bg-slate-50">
      <body className="h-full font-sans text-slate-900 antialiased">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
