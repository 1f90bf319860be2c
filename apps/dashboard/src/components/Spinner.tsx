import { Text, useAnimation } from 'ink';

/** Braille dots: one column wide in every common terminal font. */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A one-column spinner. All spinners share Ink's single animation timer. */
export function Spinner({ color = 'cyan' }: { readonly color?: string }) {
  const { frame } = useAnimation({ interval: 80 });
  return <Text color={color}>{FRAMES[frame % FRAMES.length]}</Text>;
}
