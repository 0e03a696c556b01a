import { describe, expect, it, vi } from "vitest";
import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Composer } from "./composer";
import { chatHarness, SID } from "../../../test/harness";

describe("Composer", () => {
  it("sends on Enter and keeps Shift+Enter for a new line", async () => {
    const h = chatHarness();
    h.mount(<Composer connected creating={false} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    await userEvent.type(box, "line one{Shift>}{Enter}{/Shift}line two");
    expect(box).toHaveValue("line one\nline two");
    expect(h.sent.filter((f) => f.type === "user_message")).toHaveLength(0);
    await userEvent.type(box, "{Enter}");
    expect(h.sent.at(-1)).toMatchObject({ type: "user_message", session_id: SID, text: "line one\nline two" });
    expect(box).toHaveValue("");
  });

  it("does not send an empty message", async () => {
    const h = chatHarness();
    h.mount(<Composer connected creating={false} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    await userEvent.type(box, "   {Enter}");
    expect(h.sent.filter((f) => f.type === "user_message")).toHaveLength(0);
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
  });

  it("refuses more than 32,000 characters with a hint", async () => {
    const h = chatHarness();
    h.mount(<Composer connected creating={false} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    await userEvent.click(box);
    await userEvent.paste("y".repeat(32_001));
    expect(screen.getByRole("alert")).toHaveTextContent("Too long to send: 32,001 of 32,000 characters");
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    await userEvent.type(box, "{Enter}");
    expect(h.sent.filter((f) => f.type === "user_message")).toHaveLength(0);
  });

  it("stays usable while a reply streams; Stop takes Send's place, then Send is back", async () => {
    const h = chatHarness();
    h.mount(<Composer connected creating={false} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    await userEvent.type(box, "first{Enter}");
    act(() => h.event({ type: "message_received", seq: 1, text: "first" }));
    await userEvent.type(box, "second");
    expect(box).toHaveValue("second");
    expect(screen.queryByRole("button", { name: "Send" })).toBeNull();
    await userEvent.type(box, "{Enter}");
    expect(h.sent.filter((f) => f.type === "user_message")).toHaveLength(1);
    await userEvent.click(screen.getByRole("button", { name: "Stop" }));
    expect(h.sent.at(-1)).toEqual({ type: "interrupt", session_id: SID });
    // Focus goes back to the box, not to <body> (the Stop button goes away).
    await waitFor(() => expect(box).toHaveFocus());
    act(() => h.event({ type: "stream_interrupted" }));
    expect(screen.queryByRole("button", { name: "Stop" })).toBeNull();
    expect(screen.getByRole("button", { name: "Send" })).toBeEnabled();
  });

  it("on a touch screen Enter is a new line and the Send button sends", async () => {
    vi.stubGlobal("matchMedia", (q: string) => ({ matches: q === "(pointer: coarse)", addEventListener() {}, removeEventListener() {} }));
    try {
      const h = chatHarness();
      h.mount(<Composer connected creating={false} />);
      const box = screen.getByRole("textbox", { name: "Message" });
      await userEvent.type(box, "one{Enter}two");
      expect(box).toHaveValue("one\ntwo");
      expect(h.sent.filter((f) => f.type === "user_message")).toHaveLength(0);
      await userEvent.click(screen.getByRole("button", { name: "Send" }));
      expect(h.sent.at(-1)).toMatchObject({ type: "user_message", text: "one\ntwo" });
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("keeps the text out of the store while typing, and a draft per session", async () => {
    const h = chatHarness();
    h.mount(<Composer connected creating={false} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    const type = (value: string) => fireEvent.change(box, { target: { value } });
    // A key press renders the box alone: the chat store (and so every part of the page that
    // reads it) hears of the text only once typing pauses.
    let storeChanges = 0;
    const stop = h.stores.chat.subscribe(() => storeChanges++);
    for (const value of ["d", "dr", "dra", "draf", "draft"]) type(value);
    expect(storeChanges).toBe(0);
    expect(box).toHaveValue("draft");
    expect(screen.getByRole("button", { name: "Send" })).toBeEnabled();
    stop();
    await waitFor(() => expect(h.chat().drafts[SID]).toBe("draft"), { timeout: 5_000 });
    type("draft!");
    // Another session: its own (empty) box; the text typed just before is kept all the same.
    act(() => h.chat().switchSession("other"));
    expect(box).toHaveValue("");
    expect(h.chat().drafts[SID]).toBe("draft!");
    type("two");
    act(() => h.chat().switchSession(SID));
    expect(box).toHaveValue("draft!");
    expect(h.chat().drafts.other).toBe("two");
  });
});
