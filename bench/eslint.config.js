import base from "@lockstep/eslint-config/base";

export default [...base, { ignores: ["results/**"] }];
