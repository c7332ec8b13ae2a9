// Corpus replayer: links against a fuzz target's LLVMFuzzerTestOneInput when the build is not a
// libFuzzer build, and runs every file under the given directories (or files) through it, so that
// plain ctest replays each corpus. Exits non-zero when an argument cannot be read.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    std::vector<fs::path> files;
    std::error_code ec;
    if (fs::is_directory(argv[i], ec)) {
      for (auto& e : fs::recursive_directory_iterator(argv[i])) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    } else if (fs::is_regular_file(argv[i], ec)) {
      files.push_back(argv[i]);
    } else {
      fprintf(stderr, "replay: cannot read %s\n", argv[i]);
      return 2;
    }
    for (auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
      ++count;
    }
  }
  if (count == 0) {
    fprintf(stderr, "replay: no corpus files\n");
    return 2;
  }
  printf("replayed %zu inputs\n", count);
  return 0;
}
