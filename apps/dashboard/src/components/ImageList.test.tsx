import { render } from 'ink-testing-library';
import { beforeAll, describe, expect, it } from 'vitest';
import { plain, type RecordedCheck, recordSampleCheck } from '../../test/helpers.js';
import { failImage, finishImage, initialImage, startImage, withHeader } from '../model.js';
import { ImageList } from './ImageList.js';

let rec: RecordedCheck;
beforeAll(async () => {
  rec = await recordSampleCheck();
});

describe('ImageList', () => {
  it('one row per image: verdict, name, format and size, counts or why it was not checked', () => {
    const done = finishImage(withHeader(startImage(initialImage('/a/sample.qcow2')), rec.header), rec.report);
    const failed = failImage(startImage(initialImage('/a/broken.vmdk')), {
      code: 'vmdk/bad',
      message: 'bad descriptor',
    });
    const waiting = initialImage('/a/later.raw');
    const { lastFrame } = render(
      <ImageList images={[done, failed, waiting]} cursor={1} width={100} height={10} />,
    );
    const lines = plain(lastFrame()).split('\n');
    expect(lines[0]).toMatch(/IMAGE\s+FORMAT\s+RESULTS/);
    expect(lines[1]).toMatch(/^ {2}✗ sample\.qcow2\s+qcow2 50 MiB\s+✗ 1 {2}✓ 2/);
    expect(lines[2]).toMatch(/^▸ ‼ broken\.vmdk\s+—\s+could not be checked: bad descriptor/);
    expect(lines[3]).toMatch(/^ {2}· later\.raw\s+—\s+waiting/);
  });
});
