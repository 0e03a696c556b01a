import { describe, expect, it } from "vitest";
import { validateMessage } from "./validate-message";

describe("validateMessage", () => {
  it("refuses empty and over-long messages with a hint", () => {
    expect(validateMessage("   \n ")).toMatch(/Type a message/);
    expect(validateMessage("x".repeat(32_000))).toBeNull();
    expect(validateMessage(` ${"x".repeat(32_000)} `)).toBeNull();
    expect(validateMessage("x".repeat(32_001))).toMatch(/32,001 characters; the limit is 32,000/);
    // Characters, not UTF-16 units: 32,000 emoji are allowed.
    expect(validateMessage("😀".repeat(32_000))).toBeNull();
  });
});
