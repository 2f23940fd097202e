// The contract between the UI shell and the dashboards it shows.

export interface DashboardProps { runs: string[]; selectedRuns: string[]; runColor: (run: string) => string; generation: number; }
