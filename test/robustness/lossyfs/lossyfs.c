/*
 * lossyfs: a FUSE pass-through filesystem that keeps every write in memory until
 * the file is fsynced (or was opened O_SYNC/O_DSYNC), as a kernel's page cache
 * does. Killing the daemon (SIGKILL) therefore loses exactly the data that was
 * written but never synced, as a power cut would: the robustness tests crash a
 * member, kill its lossyfs, mount a fresh one over the same backing directory and
 * restart the member from whatever reached the backing files.
 *
 * What is lost: file contents and size changes (writes, truncates) not yet synced.
 * What is not: directory operations (create, unlink, rename, mkdir) pass straight
 * through to the backing directory.
 *
 * Usage: lossyfs BACKING_DIR MOUNTPOINT [fuse options], run single-threaded (-s),
 * so no locking is needed. Built by the test setup: cc -O2 lossyfs.c $(pkg-config
 * --cflags --libs fuse3).
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <fuse.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <unistd.h>

#define PAGE 4096

/* Unsynced state of one backing file, identified by device and inode (renames keep it). */
struct dirty {
  dev_t dev;
  ino_t ino;
  off_t size;          /* the file's size as writers see it */
  off_t floor;         /* the lowest size since the last sync: backing bytes past it read as zeros */
  int resized;         /* size differs from the backing file's until the next sync */
  size_t npages;       /* capacity of pages[] */
  unsigned char **pages; /* pages[i]: the unsynced contents of page i, or NULL */
  struct dirty *next;
};

static struct dirty *dirty_files;
static char backing[PATH_MAX];

static void real_path(char out[PATH_MAX], const char *path) {
  snprintf(out, PATH_MAX, "%s%s", backing, path);
}

static struct dirty *find_dirty(dev_t dev, ino_t ino) {
  for (struct dirty *d = dirty_files; d; d = d->next)
    if (d->dev == dev && d->ino == ino) return d;
  return NULL;
}

static struct dirty *find_dirty_fd(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return NULL;
  return find_dirty(st.st_dev, st.st_ino);
}

static void free_dirty(struct dirty *d) {
  for (size_t i = 0; i < d->npages; i++) free(d->pages[i]);
  free(d->pages);
  struct dirty **p = &dirty_files;
  while (*p != d) p = &(*p)->next;
  *p = d->next;
  free(d);
}

static struct dirty *get_dirty(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return NULL;
  struct dirty *d = find_dirty(st.st_dev, st.st_ino);
  if (d) return d;
  d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->dev = st.st_dev;
  d->ino = st.st_ino;
  d->size = st.st_size;
  d->floor = st.st_size;
  d->next = dirty_files;
  dirty_files = d;
  return d;
}

static int grow(struct dirty *d, size_t page) {
  if (page < d->npages) return 0;
  size_t n = d->npages ? d->npages : 64;
  while (n <= page) n *= 2;
  unsigned char **p = realloc(d->pages, n * sizeof *p);
  if (!p) return -ENOMEM;
  memset(p + d->npages, 0, (n - d->npages) * sizeof *p);
  d->pages = p;
  d->npages = n;
  return 0;
}

/* The page's current contents, loaded from the backing file on first touch. */
static unsigned char *page_for_write(struct dirty *d, int fd, size_t page) {
  if (grow(d, page) != 0) return NULL;
  if (d->pages[page]) return d->pages[page];
  unsigned char *buf = calloc(1, PAGE);
  if (!buf) return NULL;
  off_t start = (off_t)page * PAGE;
  if (start < d->floor) {
    /* Backing bytes past the floor were truncated away: they stay zeros. */
    size_t len = d->floor - start < PAGE ? (size_t)(d->floor - start) : PAGE;
    if (pread(fd, buf, len, start) < 0) {
      free(buf);
      return NULL;
    }
  }
  d->pages[page] = buf;
  return buf;
}

/* Writes the unsynced pages and size to the backing file and syncs it. */
static int flush_dirty(struct dirty *d, int fd) {
  if (d->resized && (ftruncate(fd, d->floor) != 0 || ftruncate(fd, d->size) != 0)) return -errno;
  for (size_t i = 0; i < d->npages; i++) {
    if (!d->pages[i]) continue;
    off_t start = (off_t)i * PAGE;
    if (start >= d->size) continue;
    size_t len = d->size - start < PAGE ? (size_t)(d->size - start) : PAGE;
    if (pwrite(fd, d->pages[i], len, start) != (ssize_t)len) return errno ? -errno : -EIO;
  }
  if (fdatasync(fd) != 0) return -errno;
  free_dirty(d);
  return 0;
}

static int lfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
  (void)fi;
  char p[PATH_MAX];
  real_path(p, path);
  if (lstat(p, st) != 0) return -errno;
  struct dirty *d = find_dirty(st->st_dev, st->st_ino);
  if (d) {
    st->st_size = d->size;
    st->st_blocks = (d->size + 511) / 512;
  }
  return 0;
}

static int lfs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi, enum fuse_readdir_flags flags) {
  (void)off;
  (void)fi;
  (void)flags;
  char p[PATH_MAX];
  real_path(p, path);
  DIR *dir = opendir(p);
  if (!dir) return -errno;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL) {
    struct stat st = {0};
    st.st_ino = e->d_ino;
    st.st_mode = (mode_t)e->d_type << 12;
    if (fill(buf, e->d_name, &st, 0, 0)) break;
  }
  closedir(dir);
  return 0;
}

static int lfs_mkdir(const char *path, mode_t mode) {
  char p[PATH_MAX];
  real_path(p, path);
  return mkdir(p, mode) == 0 ? 0 : -errno;
}

static int lfs_rmdir(const char *path) {
  char p[PATH_MAX];
  real_path(p, path);
  return rmdir(p) == 0 ? 0 : -errno;
}

static int lfs_unlink(const char *path) {
  char p[PATH_MAX];
  real_path(p, path);
  struct stat st;
  if (lstat(p, &st) == 0 && st.st_nlink <= 1) {
    struct dirty *d = find_dirty(st.st_dev, st.st_ino);
    /* An open file's unsynced data outlives its name; dropped here, which only matters to readers of a deleted file. */
    if (d) free_dirty(d);
  }
  return unlink(p) == 0 ? 0 : -errno;
}

static int lfs_rename(const char *from, const char *to, unsigned int flags) {
  if (flags) return -EINVAL;
  char a[PATH_MAX], b[PATH_MAX];
  real_path(a, from);
  real_path(b, to);
  struct stat st;
  if (lstat(b, &st) == 0 && st.st_nlink <= 1) {
    struct dirty *d = find_dirty(st.st_dev, st.st_ino);
    if (d) free_dirty(d);
  }
  return rename(a, b) == 0 ? 0 : -errno;
}

static int lfs_link(const char *from, const char *to) {
  char a[PATH_MAX], b[PATH_MAX];
  real_path(a, from);
  real_path(b, to);
  return link(a, b) == 0 ? 0 : -errno;
}

static int lfs_symlink(const char *target, const char *path) {
  char p[PATH_MAX];
  real_path(p, path);
  return symlink(target, p) == 0 ? 0 : -errno;
}

static int lfs_readlink(const char *path, char *buf, size_t size) {
  char p[PATH_MAX];
  real_path(p, path);
  ssize_t n = readlink(p, buf, size - 1);
  if (n < 0) return -errno;
  buf[n] = '\0';
  return 0;
}

/* An O_TRUNC open: the file is empty to readers, its backing bytes read as zeros until a sync. */
static void truncate_to_zero(struct dirty *d) {
  for (size_t i = 0; i < d->npages; i++) {
    free(d->pages[i]);
    d->pages[i] = NULL;
  }
  d->size = 0;
  d->floor = 0;
  d->resized = 1;
}

static int lfs_open(const char *path, struct fuse_file_info *fi) {
  char p[PATH_MAX];
  real_path(p, path);
  /* The backing file is always opened read-write without O_SYNC: this layer decides durability. */
  int flags = fi->flags & ~(O_SYNC | O_DSYNC | O_APPEND | O_ACCMODE | O_TRUNC | O_CREAT | O_EXCL);
  int fd = open(p, flags | O_RDWR);
  if (fd < 0 && errno == EACCES) fd = open(p, flags | O_RDONLY);
  if (fd < 0) return -errno;
  if (fi->flags & O_TRUNC) {
    struct dirty *d = get_dirty(fd);
    if (!d) {
      close(fd);
      return -ENOMEM;
    }
    truncate_to_zero(d);
  }
  fi->fh = fd;
  return 0;
}

static int lfs_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
  char p[PATH_MAX];
  real_path(p, path);
  int fd = open(p, O_CREAT | O_RDWR | (fi->flags & O_EXCL), mode);
  if (fd < 0) return -errno;
  if (fi->flags & O_TRUNC) {
    struct dirty *d = get_dirty(fd);
    if (d) truncate_to_zero(d);
  }
  fi->fh = fd;
  return 0;
}

static int lfs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)path;
  int fd = (int)fi->fh;
  struct dirty *d = find_dirty_fd(fd);
  if (!d) {
    ssize_t n = pread(fd, buf, size, off);
    return n < 0 ? -errno : (int)n;
  }
  if (off >= d->size) return 0;
  if ((off_t)size > d->size - off) size = d->size - off;
  size_t done = 0;
  while (done < size) {
    off_t at = off + done;
    size_t page = at / PAGE, in = at % PAGE;
    size_t len = PAGE - in < size - done ? PAGE - in : size - done;
    if (page < d->npages && d->pages[page]) {
      memcpy(buf + done, d->pages[page] + in, len);
    } else {
      /* Past the floor (or the backing file's end) the file reads as zeros. */
      size_t want = at >= d->floor ? 0 : (d->floor - at < (off_t)len ? (size_t)(d->floor - at) : len);
      ssize_t n = want ? pread(fd, buf + done, want, at) : 0;
      if (n < 0) return -errno;
      if ((size_t)n < len) memset(buf + done + n, 0, len - n);
    }
    done += len;
  }
  return (int)done;
}

static int lfs_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)path;
  int fd = (int)fi->fh;
  struct dirty *d = get_dirty(fd);
  if (!d) return -ENOMEM;
  size_t done = 0;
  while (done < size) {
    off_t at = off + done;
    size_t page = at / PAGE, in = at % PAGE;
    size_t len = PAGE - in < size - done ? PAGE - in : size - done;
    unsigned char *pg = page_for_write(d, fd, page);
    if (!pg) return -ENOMEM;
    memcpy(pg + in, buf + done, len);
    done += len;
  }
  if (off + (off_t)size > d->size) {
    d->size = off + size;
    d->resized = 1;
  }
  if (fi->flags & (O_SYNC | O_DSYNC)) {
    int r = flush_dirty(d, fd);
    if (r != 0) return r;
  }
  return (int)size;
}

static int set_size(int fd, off_t size) {
  struct dirty *d = get_dirty(fd);
  if (!d) return -ENOMEM;
  if (size < d->size) {
    /* Zero the tail of the page the new end falls in, drop the pages after it. */
    size_t last = size / PAGE;
    if (size % PAGE) {
      unsigned char *pg = page_for_write(d, fd, last);
      if (!pg) return -ENOMEM;
      memset(pg + size % PAGE, 0, PAGE - size % PAGE);
      last++;
    }
    for (size_t i = last; i < d->npages; i++) {
      free(d->pages[i]);
      d->pages[i] = NULL;
    }
  }
  d->size = size;
  if (size < d->floor) d->floor = size;
  d->resized = 1;
  return 0;
}

static int lfs_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
  if (fi) return set_size((int)fi->fh, size);
  char p[PATH_MAX];
  real_path(p, path);
  int fd = open(p, O_RDWR);
  if (fd < 0) return -errno;
  int r = set_size(fd, size);
  close(fd);
  return r;
}

static int lfs_fallocate(const char *path, int mode, off_t off, off_t len, struct fuse_file_info *fi) {
  (void)path;
  if (mode != 0) return -EOPNOTSUPP;
  int fd = (int)fi->fh;
  struct dirty *d = get_dirty(fd);
  if (!d) return -ENOMEM;
  if (off + len > d->size) {
    d->size = off + len;
    d->resized = 1;
  }
  return 0;
}

static int lfs_fsync(const char *path, int datasync, struct fuse_file_info *fi) {
  (void)path;
  (void)datasync;
  int fd = (int)fi->fh;
  struct dirty *d = find_dirty_fd(fd);
  if (d) return flush_dirty(d, fd);
  return fdatasync(fd) == 0 ? 0 : -errno;
}

static int lfs_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi) {
  (void)datasync;
  (void)fi;
  char p[PATH_MAX];
  real_path(p, path);
  int fd = open(p, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return -errno;
  int r = fsync(fd) == 0 ? 0 : -errno;
  close(fd);
  return r;
}

static int lfs_release(const char *path, struct fuse_file_info *fi) {
  (void)path;
  /* Closing does not sync: unsynced data stays in memory, as in a page cache. */
  close((int)fi->fh);
  return 0;
}

static int lfs_flush(const char *path, struct fuse_file_info *fi) {
  (void)path;
  (void)fi;
  return 0;
}

static int lfs_statfs(const char *path, struct statvfs *st) {
  char p[PATH_MAX];
  real_path(p, path);
  return statvfs(p, st) == 0 ? 0 : -errno;
}

static int lfs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi) {
  (void)fi;
  char p[PATH_MAX];
  real_path(p, path);
  return utimensat(AT_FDCWD, p, tv, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

static int lfs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi) {
  (void)fi;
  char p[PATH_MAX];
  real_path(p, path);
  return chmod(p, mode) == 0 ? 0 : -errno;
}

static int lfs_access(const char *path, int mask) {
  char p[PATH_MAX];
  real_path(p, path);
  return access(p, mask) == 0 ? 0 : -errno;
}

static void *lfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
  (void)conn;
  /* No attribute or entry caching: a size changed by a lost write must be asked for again. */
  cfg->entry_timeout = 0;
  cfg->attr_timeout = 0;
  cfg->negative_timeout = 0;
  cfg->use_ino = 1;
  return NULL;
}

static const struct fuse_operations ops = {
    .init = lfs_init,
    .getattr = lfs_getattr,
    .readdir = lfs_readdir,
    .mkdir = lfs_mkdir,
    .rmdir = lfs_rmdir,
    .unlink = lfs_unlink,
    .rename = lfs_rename,
    .link = lfs_link,
    .symlink = lfs_symlink,
    .readlink = lfs_readlink,
    .open = lfs_open,
    .create = lfs_create,
    .read = lfs_read,
    .write = lfs_write,
    .truncate = lfs_truncate,
    .fallocate = lfs_fallocate,
    .fsync = lfs_fsync,
    .fsyncdir = lfs_fsyncdir,
    .release = lfs_release,
    .flush = lfs_flush,
    .statfs = lfs_statfs,
    .utimens = lfs_utimens,
    .chmod = lfs_chmod,
    .access = lfs_access,
};

int main(int argc, char *argv[]) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s BACKING_DIR MOUNTPOINT [fuse options]\n", argv[0]);
    return 2;
  }
  if (!realpath(argv[1], backing)) {
    perror(argv[1]);
    return 2;
  }
  /* fuse_main sees: program, mountpoint, then the rest. */
  char *fargv[64];
  int fargc = 0;
  fargv[fargc++] = argv[0];
  for (int i = 2; i < argc && fargc < 63; i++) fargv[fargc++] = argv[i];
  fargv[fargc] = NULL;
  umask(0);
  return fuse_main(fargc, fargv, &ops, NULL);
}
