import { z } from "zod";

// Runs in the browser before any of the app's code (Next's instrumentation-client convention).
// Zod compiles object parsers with `new Function` when it can, and probes for that on the first
// z.object(): under Lockstep's CSP (no 'unsafe-eval') the probe throws, which zod swallows, but
// the browser still reports a policy violation. jitless skips both; parsing a form is fast enough.
z.config({ jitless: true });
