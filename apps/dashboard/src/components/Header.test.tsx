import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { plain } from '../../test/helpers.js';
import { applyEvent, initialImage, startImage, withHeader } from '../model.js';
import { Header } from './Header.js';

describe('Header', () => {
  it('shows … for what is not known yet while the check runs', () => {
    const image = startImage(initialImage('/images/disk.qcow2'));
    const { lastFrame } = render(<Header image={image} width={100} />);
    expect(plain(lastFrame())).toBe(
      'imagecheck /images/disk.qcow2\nformat … · size … · backend … · os … · kernel …',
    );
  });

  it('fills in format, size, backend, OS and kernel as they become known', () => {
    let image = withHeader(startImage(initialImage('/images/disk.qcow2')), {
      format: 'qcow2',
      virtualSize: 10 * 1024 ** 3,
      backend: 'native',
    });
    image = applyEvent(image, {
      type: 'fact-finish',
      id: 'guest.os',
      result: { status: 'ok', value: { os: 'linux', distribution: 'debian', version: '12' }, evidence: [] },
    });
    image = applyEvent(image, {
      type: 'item-finish',
      item: {
        name: 'GUESTOS.KernelVersion',
        status: 'info',
        riskLevel: 'high',
        value: '6.1.0-18-amd64',
        message: '',
        evidence: [],
      },
    });
    const { lastFrame } = render(<Header image={image} width={100} />);
    expect(plain(lastFrame())).toContain(
      'format qcow2 · size 10 GiB · backend native · os debian 12 · kernel 6.1.0-18-amd64',
    );
  });
});
