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
  });

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
    expect(await screen.findByRole("alert")).toHaveTextContent("big.png is 5.0 MB; the limit is 5 MB per image.");
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
