export { Button } from "./button";
export { Card, Logo } from "./card";
export { Field } from "./field";
export { cn } from "./cn";
