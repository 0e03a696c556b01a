// Loaded before every e2e test file: a test during which any page reported a
// Content-Security-Policy violation fails (the server sends the policy on every UI response;
// see src/http/security_headers.rs).
import { afterEach, expect } from "vitest";
import { takeCspViolations } from "./browser.ts";

afterEach(() => {
  expect(takeCspViolations(), "Content-Security-Policy violations reported by the page").toEqual([]);
});
