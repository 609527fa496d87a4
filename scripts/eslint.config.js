import base from "@lockstep/eslint-config/base";

// These scripts are plain Node ESM checked by tsc (checkJs, see tsconfig.json), so the typed async
// rules the base config turns off for untyped JS apply to them again.
export default [
  ...base,
  {
    files: ["**/*.mjs"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      // They run before install, so there is no env.ts to read through: the environment is theirs to pass on.
      "no-restricted-properties": "off",
    },
  },
];
