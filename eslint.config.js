// Lint: typescript-eslint's recommended rules, the style guide's few hard rules, and the folder
// boundaries (scripts/eslint-boundaries.mjs; test/unit/lint/boundaries.test.ts shows each bites).
import tseslint from "typescript-eslint";
import { boundaryConfigs } from "./scripts/eslint-boundaries.mjs";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "packages/contracts/gen/**"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-syntax": ["error", { selector: "ExportDefaultDeclaration", message: "No default exports." }],
    },
  },
  ...boundaryConfigs(),
  {
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-non-null-assertion": "off", "@typescript-eslint/no-unused-expressions": "off" },
  },
);
