// Dashboards by plugin name (as in data/plugins_listing). The shell shows
// the one whose tab is selected; plugins without an entry get a notice.
import type { FunctionComponent } from 'preact';
import TimeSeriesDashboard from './timeseries';
import ScalarsDashboard from './scalars';
import HistogramsDashboard from './histograms';
import DistributionsDashboard from './distributions';
import ImagesDashboard from './images';
import AudioDashboard from './audio';
import TextDashboard from './text';
import GraphsDashboard from './graphs';
import MeshDashboard from './mesh';
import ProjectorDashboard from './projector';
import PrCurvesDashboard from './prcurves';
import CustomScalarsDashboard from './customscalars';
import HParamsDashboard from './hparams';
import ProfileDashboard from './profile';

export interface DashboardProps {
  /** All runs, in server order. */
  runs: string[];
  /** Runs that are ticked and match the run filter, in server order. */
  selectedRuns: string[];
  runColor: (run: string) => string;
  /** Bumped whenever the dashboard should fetch its data again. */
  generation: number;
}

export const dashboards: Record<string, FunctionComponent<DashboardProps>> = {
  timeseries: TimeSeriesDashboard,
  scalars: ScalarsDashboard,
  histograms: HistogramsDashboard,
  distributions: DistributionsDashboard,
  images: ImagesDashboard,
  audio: AudioDashboard,
  text: TextDashboard,
  graphs: GraphsDashboard,
  mesh: MeshDashboard,
  projector: ProjectorDashboard,
  pr_curves: PrCurvesDashboard,
  custom_scalars: CustomScalarsDashboard,
  hparams: HParamsDashboard,
  pytorch_profiler: ProfileDashboard,
};
