import { z } from "zod";

/**
 * The words for every rule a schema states without its own message, so no zod default ("Too big:
 * expected string to have <=100 characters") ever reaches a person. One style everywhere: a short
 * sentence, capitalised, ending with a full stop, about the field it is shown on (so it does not
 * repeat the field's name). Over-long input is always refused with such a message — never cut.
 */
function count(n: number | bigint, one: string, many = `${one}s`): string {
  const value = typeof n === "bigint" ? n.toString() : n.toLocaleString("en");
  return `${value} ${n === 1 || n === 1n ? one : many}`;
}

export const personMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "too_big": {
      const max = issue.maximum;
      if (issue.origin === "string") return `Must be at most ${count(max, "character")}.`;
      if (issue.origin === "array" || issue.origin === "set") return `At most ${count(max, "entry", "entries")}.`;
      if (issue.origin === "number" || issue.origin === "int" || issue.origin === "bigint")
        return `Must be at most ${max.toLocaleString("en")}.`;
      return "Too large.";
    }
    case "too_small": {
      const min = issue.minimum;
      if (issue.origin === "string")
        return Number(min) <= 1 ? "Required." : `Must be at least ${count(min, "character")}.`;
      if (issue.origin === "array" || issue.origin === "set") return `At least ${count(min, "entry", "entries")}.`;
      if (issue.origin === "number" || issue.origin === "int" || issue.origin === "bigint")
        return `Must be at least ${min.toLocaleString("en")}.`;
      return "Too small.";
    }
    case "invalid_type":
      return issue.input === undefined || issue.input === null || issue.input === ""
        ? "Required."
        : `Must be ${article(issue.expected)}.`;
    case "invalid_format":
      if (issue.format === "uuid" || issue.format === "guid") return "Choose one from the list.";
      if (issue.format === "email") return "Enter an email address like ada@example.org.";
      if (issue.format === "url") return "Enter a URL.";
      return "Not in the expected format.";
    case "invalid_value":
      return "Choose one of the options.";
    case "invalid_union":
      return "Not a valid value.";
    case "unrecognized_keys":
      return `Not expected here: ${issue.keys.join(", ")}.`;
    case "not_multiple_of":
      return `Must be a multiple of ${String(issue.divisor)}.`;
    default:
      return "Not a valid value.";
  }
};

function article(expected: string): string {
  const words: Record<string, string> = {
    string: "text",
    number: "a number",
    int: "a whole number",
    boolean: "yes or no",
    array: "a list",
    object: "a group of fields",
    date: "a date",
  };
  return words[expected] ?? `a ${expected}`;
}

z.config({ customError: personMessage });
