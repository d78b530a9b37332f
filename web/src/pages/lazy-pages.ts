/**
 * The topology and pipeline pages: one chunk, fetched the first time one of them is
 * opened (see lazy-page.tsx), with its own styles.
 */
import '../topologies-pipelines.css';

export { PipelineDetailPage } from './pipeline-detail';
export { PipelineEditPage } from './pipeline-form';
export { PipelinesPage } from './pipelines';
export { PromotionDetailPage } from './promotion-detail';
export { TopologiesPage } from './topologies';
export { TopologyDetailPage } from './topology-detail';
export { TopologyEditPage } from './topology-form';
