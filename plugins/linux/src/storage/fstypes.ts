/**
 * Filesystem types an fstab may name that are not on the disk: kernel pseudo filesystems and
 * network filesystems. Guest assembly leaves them unmounted; the Fstab check skips them with a
 * note. Shared so that both read an fstab the same way.
 */
export const PSEUDO_FSTYPES: ReadonlySet<string> = new Set([
  'proc',
  'sysfs',
  'devpts',
  'tmpfs',
  'devtmpfs',
  'securityfs',
  'cgroup',
  'cgroup2',
  'debugfs',
  'hugetlbfs',
  'mqueue',
  'pstore',
  'efivarfs',
  'binfmt_misc',
  'configfs',
  'fusectl',
  'tracefs',
  'bpf',
  'autofs',
  'none',
  'rpc_pipefs',
  'nfsd',
  'usbfs',
  'ramfs',
  'overlay',
  'squashfs',
]);

export const NETWORK_FSTYPES: ReadonlySet<string> = new Set([
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'smbfs',
  'glusterfs',
  'ceph',
  'fuse.sshfs',
  'sshfs',
  '9p',
  'virtiofs',
  'davfs',
  'fuse.s3fs',
  'lustre',
  'ocfs2',
  'gfs2',
]);
