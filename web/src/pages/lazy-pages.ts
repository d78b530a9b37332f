/**
 * The topology pages: one chunk, fetched the first time one of them is
 * opened (see lazy-page.tsx), with its own styles.
 */
import '../topologies-pipelines.css';

export { TopologiesPage } from './topologies';
export { TopologyDetailPage } from './topology-detail';
export { TopologyEditPage } from './topology-form';
