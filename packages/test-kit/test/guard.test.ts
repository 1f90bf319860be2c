import { afterEach, describe, expect, it } from 'vitest';
import { describeTools, MissingPrerequisiteError, requireTools, testKernel, which } from '../src/index.js';

const saved = process.env.CI;
afterEach(() => {
  if (saved === undefined) delete process.env.CI;
  else process.env.CI = saved;
});

describe('requireTools', () => {
  it('runs the test when every tool is there', () => {
    expect(which('sh')).toBeDefined();
    expect(requireTools('sh')).toBe(true);
  });

  it('skips outside CI when a tool is missing', () => {
    delete process.env.CI;
    expect(requireTools('sh', 'imagecheck-no-such-tool')).toBe(false);
  });

  it('fails under CI=true, naming the tool and its Debian package', () => {
    process.env.CI = 'true';
    expect(() => requireTools('sh', 'imagecheck-no-such-tool')).toThrow(MissingPrerequisiteError);
    expect(() => requireTools('imagecheck-no-such-tool')).toThrow(/imagecheck-no-such-tool/);
    const missingXz = `/nonexistent/${Date.now()}/xz`;
    expect(() => requireTools(missingXz)).toThrow(missingXz);
  });

  it('names the Debian package of each known tool', () => {
    expect(describeTools(['xz', 'mkfs.xfs', 'imagecheck-no-such-tool'])).toBe(
      'xz (Debian package xz-utils), mkfs.xfs (Debian package xfsprogs), imagecheck-no-such-tool',
    );
  });
});

describe('testKernel', () => {
  it('is a -cloud-amd64 kernel with its modules, image and config', () => {
    const k = testKernel();
    if (k === undefined) {
      expect(process.env.CI).not.toBe('true');
      return;
    }
    expect(k.version).toMatch(/-cloud-amd64$/);
    expect(k.modules).toBe(`/lib/modules/${k.version}`);
    expect(k.image).toBe(`/boot/vmlinuz-${k.version}`);
  });
});
