import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { StoresProvider } from "../../../app/stores/stores-provider";
import { listed, storesHarness } from "../../../test/stores";
import { Sidebar } from "./sidebar";

const A = "11111111-1111-4111-8111-111111111111";
const B = "22222222-2222-4222-8222-222222222222";
const C = "33333333-3333-4333-8333-333333333333";

function mount(sessions: ReturnType<typeof listed>[]) {
  const h = storesHarness();
  h.connection().setStatus("connected");
  h.recv({ type: "session_list", sessions, next_cursor: null });
  render(
    <StoresProvider stores={h.stores}>
      <Sidebar currentId={null} connected onOpen={() => {}} onPicked={() => {}} />
    </StoresProvider>,
  );
  return h;
}

const rows = () => within(screen.getByRole("navigation", { name: "Sessions" })).queryAllByRole("listitem");

describe("Sidebar", () => {
  it("shows an admin each session's owner and filters by owner", async () => {
    mount([
      listed(A, { user_id: "u-alice", user_name: "alice" }),
      listed(B, { user_id: "u-bob", user_name: "bob" }),
      listed(C, { user_id: "u-alice", user_name: "alice" }),
    ]);
    expect(rows()).toHaveLength(3);
    expect(within(rows()[1]).getByText("bob")).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText("Owner"), "alice");
    expect(rows()).toHaveLength(2);
    expect(within(screen.getByRole("list")).queryByText("bob")).toBeNull();
    await userEvent.selectOptions(screen.getByLabelText("Owner"), "Everyone");
    expect(rows()).toHaveLength(3);
  });

  it("shows a member no owner filter (their list is theirs)", () => {
    mount([listed(A), listed(B)]);
    expect(rows()).toHaveLength(2);
    expect(screen.queryByLabelText("Owner")).toBeNull();
  });

  it("names no owner while every session listed is one person's (an admin alone)", () => {
    mount([listed(A, { user_id: "u-admin", user_name: "admin" }), listed(B, { user_id: "u-admin", user_name: "admin" })]);
    expect(rows()).toHaveLength(2);
    expect(screen.queryByLabelText("Owner")).toBeNull();
    expect(within(screen.getByRole("list")).queryByText("admin")).toBeNull();
  });
});
