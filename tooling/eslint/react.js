import reactHooks from "eslint-plugin-react-hooks";
import base from "./base.js";

/**
 * The base config plus the Rules of Hooks, for packages with React components. Only the two
 * classic rules: the plugin's React Compiler rules assume the compiler, which we do not run.
 */
export default [
  ...base,
  {
    files: ["**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "error",
    },
  },
];
