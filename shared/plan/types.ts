/** Placeholder: the plan model (filled in by the plan/executor split). */
export interface RunPlan {
  event: 'rotation.plan';
  generatedAt: string;
  certificates: unknown[];
}
