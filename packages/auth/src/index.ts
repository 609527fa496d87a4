export * from "./permissions";
export * from "./password";
export * from "./rate-limit";
export * from "./scopes";
export * from "./tokens";
export * from "./oidc";
