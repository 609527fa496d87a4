import base from "@lockstep/eslint-config/base";

export default [...base, { ignores: [".next/**", "next-env.d.ts"] }];
