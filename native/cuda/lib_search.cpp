// Candidate folders for the CUDA libraries (see lib_search.h). Order, after
// $NODETORCH_CUDA_LIB_PATH and the loader's search:
//   1. $VIRTUAL_ENV          2. $CONDA_PREFIX (site-packages, then lib/)
//   3. the python3 on PATH: its virtual environment (pyvenv.cfg beside
//      bin/), then the site-packages it reports when asked (4 s timeout;
//      $NODETORCH_PYTHON names another interpreter, "0" skips asking)
//   4. user site-packages (~/.local/lib/python3*/site-packages)
//   5. system site-packages (/usr/lib, /usr/local/lib, /opt/conda)
//   6. CUDA toolkit folders, then distro library folders
// In each site-packages: nvidia/*/lib (the nvidia-* wheels) and torch/lib.
#include "cuda/lib_search.h"

#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <mutex>
#include <string>

extern char** environ;

namespace nt {
namespace cuda {
namespace {

bool isDir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool isFile(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> globDirs(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g;
  if (::glob(pattern.c_str(), GLOB_ONLYDIR, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.push_back(g.gl_pathv[i]);
  ::globfree(&g);
  return out;
}

std::string realOr(const std::string& p) {
  char buf[PATH_MAX];
  return ::realpath(p.c_str(), buf) ? std::string(buf) : p;
}

double nowSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Runs `python -c code` with a timeout; returns its stdout, or sets *why.
// posix_spawn (not fork) is safe in a multi-threaded process like Node.
bool runPython(const std::string& python, const char* code, double timeoutS, std::string* out, std::string* why) {
  int fds[2];
  if (::pipe(fds) != 0) {
    *why = "pipe failed";
    return false;
  }
  ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclose(&fa, fds[1]);
  const char* argv[] = {python.c_str(), "-c", code, nullptr};
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, python.c_str(), &fa, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    *why = python + " could not be started";
    return false;
  }
  const double deadline = nowSeconds() + timeoutS;
  bool timedOut = false;
  char buf[4096];
  for (;;) {
    const double left = deadline - nowSeconds();
    if (left <= 0) {
      timedOut = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int pr = ::poll(&p, 1, int(left * 1000) + 1);
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) continue;
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (out->size() < (1 << 16)) out->append(buf, size_t(n));
  }
  ::close(fds[0]);
  if (timedOut) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (timedOut) {
    *why = python + " did not answer within " + std::to_string(int(timeoutS)) + " s";
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *why = python + " exited with status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return false;
  }
  return true;
}

// The first python3 on PATH (or $NODETORCH_PYTHON), as a path; empty if none.
std::string findPython(std::string* name) {
  *name = "python3";
  if (const char* p = std::getenv("NODETORCH_PYTHON")) *name = p;
  if (name->find('/') != std::string::npos) return isFile(*name) ? *name : std::string();
  const char* path = std::getenv("PATH");
  if (!path) return std::string();
  const std::string s(path);
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(':', start);
    if (end == std::string::npos) end = s.size();
    const std::string dir = end > start ? s.substr(start, end - start) : ".";
    const std::string f = dir + "/" + *name;
    if (isFile(f) && ::access(f.c_str(), X_OK) == 0) return f;
    start = end + 1;
  }
  return std::string();
}

class Builder {
 public:
  LibSearch result;

  void sitePackages(const std::string& sp, const std::string& source) {
    if (!isDir(sp)) return;
    const std::string key = realOr(sp);
    for (const auto& s : seenSites_)
      if (s == key) return;
    seenSites_.push_back(key);
    result.sitePackages.push_back(sp);
    for (const auto& d : globDirs(sp + "/nvidia/*/lib")) dir(d, source);
    dir(sp + "/torch/lib", source);
  }
  // Every site-packages folder under an environment root (venv or conda).
  void envRoot(const std::string& root, const std::string& source) {
    for (const auto& sp : globDirs(root + "/lib/python3*/site-packages")) sitePackages(sp, source);
    for (const auto& sp : globDirs(root + "/lib64/python3*/site-packages")) sitePackages(sp, source);
  }
  void dir(const std::string& d, const std::string& source) {
    if (!isDir(d)) return;
    const std::string key = realOr(d);
    for (const auto& s : seenDirs_)
      if (s == key) return;
    seenDirs_.push_back(key);
    result.dirs.push_back({d, source});
  }

 private:
  std::vector<std::string> seenSites_, seenDirs_;
};

void addPython(Builder& b) {
  std::string name;
  const std::string py = findPython(&name);
  if (name == "0") {
    b.result.pythonNote = "not asked (NODETORCH_PYTHON=0)";
    return;
  }
  if (py.empty()) {
    b.result.pythonNote = name + " not found on PATH";
    return;
  }
  // A virtual environment's interpreter sits in <venv>/bin next to pyvenv.cfg.
  const std::string bin = py.substr(0, py.rfind('/'));
  const std::string venv = bin.substr(0, bin.rfind('/'));
  if (isFile(venv + "/pyvenv.cfg")) b.envRoot(venv, "virtual environment of " + py);
  static const char* kCode =
      "import site, sysconfig\n"
      "p = list(getattr(site, 'getsitepackages', lambda: [])())\n"
      "p.append(site.getusersitepackages())\n"
      "p.append(sysconfig.get_paths()['purelib'])\n"
      "print('\\n'.join(p))\n";
  std::string out, why;
  if (!runPython(py, kCode, 4.0, &out, &why)) {
    b.result.pythonNote = "asked " + py + " for its site-packages: " + why;
    return;
  }
  b.result.pythonNote = "asked " + py + " for its site-packages";
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    const std::string line = out.substr(start, end - start);
    if (!line.empty() && line[0] == '/') b.sitePackages(line, "site-packages of " + py);
    start = end + 1;
  }
}

LibSearch build() {
  Builder b;
  if (const char* v = std::getenv("VIRTUAL_ENV")) b.envRoot(v, "VIRTUAL_ENV");
  if (const char* v = std::getenv("CONDA_PREFIX")) {
    b.envRoot(v, "CONDA_PREFIX");
    b.dir(std::string(v) + "/lib", "CONDA_PREFIX");
  }
  addPython(b);
  if (const char* home = std::getenv("HOME"))
    for (const auto& sp : globDirs(std::string(home) + "/.local/lib/python3*/site-packages"))
      b.sitePackages(sp, "user site-packages");
  for (const char* pat : {"/usr/local/lib/python3*/site-packages", "/usr/local/lib/python3*/dist-packages",
                          "/usr/lib/python3*/site-packages", "/usr/lib/python3*/dist-packages",
                          "/usr/lib/python3/dist-packages", "/opt/conda/lib/python3*/site-packages"})
    for (const auto& sp : globDirs(pat)) b.sitePackages(sp, "system site-packages");
  for (const char* pat : {"/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib",
                          "/usr/local/cuda-1*/lib64", "/usr/local/cuda-1*/targets/x86_64-linux/lib"})
    for (const auto& d : globDirs(pat)) b.dir(d, "CUDA toolkit");
  for (const char* d : {"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/lib"}) b.dir(d, "system");
  return b.result;
}

}  // namespace

std::vector<std::string> envLibDirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("NODETORCH_CUDA_LIB_PATH")) {
    const std::string s(env);
    size_t start = 0;
    while (start <= s.size()) {
      size_t end = s.find(':', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) dirs.push_back(s.substr(start, end - start));
      start = end + 1;
    }
  }
  return dirs;
}

const LibSearch& usualLibDirs() {
  static std::once_flag once;
  static LibSearch* s = nullptr;
  std::call_once(once, [] { s = new LibSearch(build()); });
  return *s;
}

std::string libSearchText() {
  std::string t;
  for (const auto& d : envLibDirs()) t += "\n    " + d + " (NODETORCH_CUDA_LIB_PATH)";
  const LibSearch& s = usualLibDirs();
  for (const auto& d : s.dirs) t += "\n    " + d.dir + " (" + d.source + ")";
  if (t.empty()) t = "\n    (no candidate folder exists)";
  t += "\n  site-packages examined:";
  if (s.sitePackages.empty()) t += " none";
  for (const auto& sp : s.sitePackages) t += " " + sp;
  t += "\n  python: " + s.pythonNote;
  return t;
}

}  // namespace cuda
}  // namespace nt
