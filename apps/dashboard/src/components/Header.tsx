import { Box, Text } from 'ink';
import type { ImageState } from '../model.js';
import { clean, formatBytes } from '../view.js';

/**
 * Image path, then format, virtual size, backend, detected OS and kernel. A field not known yet
 * shows as `…` while the check runs, and is left out once it is over.
 */
export function Header({ image, width }: { readonly image: ImageState; readonly width: number }) {
  const running = image.phase === 'running' || image.phase === 'waiting';
  const unknown = running ? '…' : undefined;
  const { header, guest } = image;
  const fields: [string, string | undefined][] = [
    ['format', header.format ?? unknown],
    ['size', header.virtualSize !== undefined ? formatBytes(header.virtualSize) : unknown],
    ['backend', header.backend ?? unknown],
    ['os', guest.os ?? header.os ?? unknown],
    ['kernel', guest.kernel ?? unknown],
  ];
  return (
    <Box flexDirection="column" width={width}>
      <Box>
        <Text bold color="cyan">
          imagecheck{' '}
        </Text>
        <Text bold wrap="truncate-start">
          {clean(image.path)}
        </Text>
      </Box>
      <Box>
        <Text wrap="truncate-end">
          {fields
            .filter(([, v]) => v !== undefined)
            .map(([k, v], i) => (
              <Text key={k}>
                {i > 0 ? <Text color="gray"> · </Text> : null}
                <Text color="gray">{k} </Text>
                <Text>{clean(v ?? '')}</Text>
              </Text>
            ))}
        </Text>
      </Box>
    </Box>
  );
}
