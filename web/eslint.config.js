import js from "@eslint/js";
import globals from "globals";
import reactHooks from "eslint-plugin-react-hooks";
import reactRefresh from "eslint-plugin-react-refresh";
import tseslint from "typescript-eslint";

/** The feature folders of src/features (web/README.md, "Folders"). */
const FEATURES = ["account", "admin", "auth", "chat", "connection", "sessions"];

/**
 * Who may import what: a feature imports only itself and the shared folders (lib/, types/,
 * components/ui/); app/ composes the features. Tests may use src/test/, which builds the
 * app's stores.
 */
const boundaries = [
  ...FEATURES.map((feature) => ({
    files: [`src/features/${feature}/**/*.{ts,tsx}`],
    ignores: ["**/*.test.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: `^(\\.\\./)+(features/)?(${FEATURES.filter((f) => f !== feature).join("|")})/`,
              message: `features/${feature} does not import another feature: app/ passes what it needs (props, store deps).`,
            },
            { regex: "^(\\.\\./)+(app|test)/", message: "A feature does not import app/ or test/." },
          ],
        },
      ],
    },
  })),
  {
    files: ["src/lib/**/*.{ts,tsx}", "src/types/**/*.{ts,tsx}", "src/components/**/*.{ts,tsx}"],
    ignores: ["**/*.test.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ regex: "^(\\.\\./)+(app|features|test)/", message: "Shared code imports no feature and no app/." }] },
      ],
    },
  },
];

export default tseslint.config(
  { ignores: ["dist", "node_modules", "e2e-artifacts"] },
  {
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    files: ["**/*.{ts,tsx}"],
    languageOptions: {
      ecmaVersion: 2022,
      globals: { ...globals.browser, ...globals.node },
    },
    plugins: {
      "react-hooks": reactHooks,
      "react-refresh": reactRefresh,
    },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "react-refresh/only-export-components": ["warn", { allowConstantExport: true }],
    },
  },
  ...boundaries,
);
