export * from "./permissions";
export * from "./password";
export * from "./rate-limit";
export * from "./tokens";
export * from "./oidc";
