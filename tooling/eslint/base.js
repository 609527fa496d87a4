import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

/**
 * Shared flat config. `process.env` is read only in env.ts files (STYLE.md: configuration is
 * validated in one place per package and fails fast naming the variable).
 *
 * Linting is type-aware (typescript-eslint's project service: each file is checked with the
 * tsconfig.json nearest to it), so the async rules can see what returns a promise: an un-awaited
 * call in the worker or a promise handed to a callback that ignores it is an error, not a silent
 * unhandled rejection.
 */
export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/.next/**", "**/dist/**", "**/.turbo/**", "**/*.config.*", "**/next-env.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      // ESLint runs from the package directory (turbo / pnpm --filter), whose tsconfig.json is the root.
      parserOptions: { projectService: true, tsconfigRootDir: process.cwd() },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/consistent-type-definitions": ["error", "type"],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read configuration through the package's env.ts." },
      ],
    },
  },
  {
    // Plain JavaScript outside every tsconfig (e.g. apps/web/front-door.mjs): syntax rules only. A
    // package whose tsconfig checks its JS (scripts/, checkJs) turns the typed rules back on.
    files: ["**/*.{js,mjs,cjs}"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Module augmentation (e.g. vitest's ProvidedContext) needs an interface.
    files: ["**/*.d.ts"],
    rules: { "@typescript-eslint/consistent-type-definitions": "off" },
  },
  {
    files: ["**/env.ts", "**/*.test.ts", "**/test/**", "**/scripts/**", "**/cli/**"],
    rules: { "no-restricted-properties": "off" },
  },
);
