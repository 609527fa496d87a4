import base from "@lockstep/eslint-config/base";

// This package starts and configures processes for development and tests: passing environments
// to children is its job, so the env.ts-only rule does not apply here.
export default [...base, { rules: { "no-restricted-properties": "off" } }];
