import { describe, expect, it } from "vitest";
import { act, fireEvent, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Composer } from "./composer";
import { MessageItem } from "./message-item";
import { chatHarness, SID } from "../../../test/harness";
import { itemsFromHistory } from "../stores/items";

const PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
const png = (name = "shot.png") => new File([Uint8Array.from(atob(PNG_B64), (c) => c.charCodeAt(0))], name, { type: "image/png" });

describe("Attachments", () => {
  it("an attached image shows as a thumbnail, can be removed, and goes out with the message", async () => {
    const h = chatHarness();
    h.mount(<Composer connected creating={false} />);
    const input = screen.getByTestId("attach-input");
    await userEvent.upload(input, [png("a.png"), png("b.png")]);
    expect(await screen.findByRole("img", { name: "a.png" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Remove a.png" }));
    expect(screen.queryByRole("img", { name: "a.png" })).toBeNull();
    // An image alone can be sent.
    expect(screen.getByRole("button", { name: "Send" })).toBeEnabled();
    await userEvent.type(screen.getByRole("textbox", { name: "Message" }), "what is this?{Enter}");
    expect(h.sent.at(-1)).toEqual({
      type: "user_message",
      session_id: SID,
      text: "what is this?",
      seq: 1,
      attachments: [{ kind: "image", media_type: "image/png", data_base64: PNG_B64, name: "b.png" }],
    });
    expect(screen.queryByRole("img", { name: "b.png" })).toBeNull();
    // Typing a message with userEvent is slow on a loaded machine.
  }, 30_000);

  it("a pasted image is attached; the wrong type or too big is refused with the reason", async () => {
    chatHarness().mount(<Composer connected creating={false} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    await act(async () => {
      fireEvent.paste(box, { clipboardData: { files: [png("pasted.png")] } });
    });
    expect(await screen.findByRole("img", { name: "pasted.png" })).toBeInTheDocument();
    const input = screen.getByTestId("attach-input");
    const svg = new File(["<svg/>"], "x.svg", { type: "image/svg+xml" });
    fireEvent.change(input, { target: { files: [svg] } });
    expect(await screen.findByRole("alert")).toHaveTextContent("x.svg is not an image the model takes");
    const big = new File([new Uint8Array(5 * 1024 * 1024 + 1)], "big.png", { type: "image/png" });
    fireEvent.change(input, { target: { files: [big] } });
    expect(await screen.findByRole("alert")).toHaveTextContent("big.png is 5.0 MB; the limit for an image is 5 MB.");
  });

  it("a text file shows as a chip with its name and size and goes out as text; binary and too-big files are refused", async () => {
    const h = chatHarness();
    h.mount(<Composer connected creating={false} />);
    const input = screen.getByTestId("attach-input");
    await userEvent.upload(input, new File(["fn main() {}\n"], "main.rs", { type: "" }));
    const chip = await screen.findByTestId("file-chip");
    expect(chip).toHaveTextContent("main.rs");
    expect(chip).toHaveTextContent("13 bytes");
    await userEvent.type(screen.getByRole("textbox", { name: "Message" }), "review{Enter}");
    expect(h.sent.at(-1)).toMatchObject({ attachments: [{ kind: "text", name: "main.rs", text: "fn main() {}\n" }] });

    fireEvent.change(input, { target: { files: [new File([new Uint8Array([0x50, 0x4b, 3, 4, 0, 0])], "a.dat", { type: "" })] } });
    expect(await screen.findByRole("alert")).toHaveTextContent("a.dat is not a text file");
    fireEvent.change(input, { target: { files: [new File(["x".repeat(256 * 1024 + 1)], "big.log", { type: "text/plain" })] } });
    expect(await screen.findByRole("alert")).toHaveTextContent("big.log is 257 KB; the limit for a text file is 256 KB.");
  });

  it("the limits are the server's (GET /api/v1/info)", async () => {
    const limits = { max_count: 1, max_image_bytes: 1024, max_text_bytes: 8, max_total_bytes: 2048, image_types: ["image/png"] };
    chatHarness().mount(<Composer connected creating={false} attachmentLimits={limits} />);
    const input = screen.getByTestId("attach-input");
    fireEvent.change(input, { target: { files: [new File(["123456789"], "nine.txt", { type: "text/plain" })] } });
    expect(await screen.findByRole("alert")).toHaveTextContent("nine.txt is 9 bytes; the limit for a text file is 8 bytes.");
  });

  it("Retry sends the attachments again", () => {
    const h = chatHarness();
    const file = { kind: "text" as const, name: "a.txt", text: "hello" };
    expect(h.chat().sendMessage("look", [file])).toBeNull();
    h.event({ type: "message_received", seq: 1, text: "look", attachments: [file] });
    h.event({ type: "stream_error", code: "internal", message: "failed", suggested_action: "retry", partial_preserved: false });
    h.chat().retry();
    expect(h.sent.at(-1)).toMatchObject({ type: "user_message", text: "look", attachments: [file] });
  });

  it("a message that did not go out can be sent again with its attachments", async () => {
    const file = { kind: "text" as const, name: "a.txt", text: "hello" };
    const sent: unknown[][] = [];
    chatHarness().mount(
      <MessageItem
        item={{ kind: "user", id: "u1", text: "look", state: "failed", error: "the connection dropped", at: "2026-12-02T04:00:00Z", attachments: [file] }}
        streaming={false}
        awaiting={false}
        onRetry={() => {}}
        onResend={(...args) => sent.push(args)}
        onNewSession={() => {}}
      />,
    );
    expect(screen.getByTestId("file-chip")).toHaveTextContent("a.txt");
    await userEvent.click(screen.getByRole("button", { name: "Send again" }));
    expect(sent).toEqual([["look", [file]]]);
  });

  it("a sent message shows its images, also from history", () => {
    const [item] = itemsFromHistory([
      {
        seq: 1,
        kind: "user",
        created_at: "2026-12-02T04:00:00Z",
        payload: { text: "look", attachments: [{ kind: "image", media_type: "image/png", data_base64: PNG_B64 }] },
      },
    ]);
    chatHarness().mount(<MessageItem item={item} streaming={false} awaiting={false} onRetry={() => {}} onNewSession={() => {}} />);
    const img = screen.getByRole("img", { name: "Attached image 1" });
    expect(img).toHaveAttribute("src", `data:image/png;base64,${PNG_B64}`);
  });
});
