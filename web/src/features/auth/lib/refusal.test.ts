import { describe, expect, it } from "vitest";
import { refusalNotice } from "./refusal";

describe("refusalNotice", () => {
  it("says why the key stopped working", () => {
    expect(refusalNotice("revoked: this API key was revoked")).toMatch(/revoked by an administrator/);
    expect(refusalNotice("revoked: this user was disabled")).toMatch(/disabled by an administrator/);
    expect(refusalNotice()).toMatch(/no longer accepted/);
    expect(refusalNotice("revoked: something new")).toMatch(/no longer accepted/);
  });
});
