export * from "./sealed-box";
export * from "./keyring";
