import react from "@lockstep/eslint-config/react";

export default [...react, { ignores: [".next/**", "next-env.d.ts"] }];
