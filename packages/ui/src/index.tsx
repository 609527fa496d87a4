export { Button } from "./button";
export { Card, Logo } from "./card";
export { Dialog } from "./dialog";
export { Field } from "./field";
export { cn } from "./cn";
export { Alert, Badge, EmptyState, PageHeader } from "./page-header";
export { Select } from "./select";
export { Checkbox, Textarea } from "./textarea";
