/** What Claude is told when the person keeps it planning (the deny message of `ExitPlanMode`). */
export function keepPlanningMessage(feedback: string): string {
  const f = feedback.trim();
  return f ? `Keep planning: ${f}` : "Keep planning: the user did not approve this plan yet.";
}
