import react from "@lockstep/eslint-config/react";

export default react;
