import type { ByteSource } from '../../block/index.js';
import type { ContainerDriver, HostFile, OpenedLayer, ProbeMatch } from '../types.js';

/**
 * raw: the file is the disk. It matches anything, so the registry tries it last. An empty file is
 * reported as such (`details.empty`) rather than refused: the layers above say what it lacks.
 */
export const rawDriver: ContainerDriver = {
  format: 'raw',
  async probe(_file: ByteSource): Promise<ProbeMatch> {
    return { format: 'raw' };
  },
  async open(file: HostFile): Promise<OpenedLayer> {
    return { source: file.source, details: { virtualSize: file.source.size, empty: file.source.size === 0 } };
  },
};
