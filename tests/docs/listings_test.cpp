// SPDX-License-Identifier: MIT OR Apache-2.0
// Lists in the documents that must name everything there is: the README's list of examples names
// every program in examples/, and docs/malloc.md's table of environment variables has a row for
// every RTALLOC_MALLOC_ variable the malloc library's sources name.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

const fs::path source_dir = RTALLOC_SOURCE_DIR;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The README's bullet of the layout that starts with "- `examples/`", up to the next bullet.
std::string readme_examples_entry() {
  const std::string readme = read_file(source_dir / "README.md");
  const std::size_t start = readme.find("\n- `examples/`");
  if (start == std::string::npos) return "";
  const std::size_t end = readme.find("\n- ", start + 1);
  return readme.substr(start, end - start);
}

TEST(Listings, TheReadmeNamesEveryExample) {
  const std::string entry = readme_examples_entry();
  ASSERT_FALSE(entry.empty()) << "README.md has no \"- `examples/`\" entry";
  std::size_t programs = 0;
  for (const auto& file : fs::recursive_directory_iterator(source_dir / "examples")) {
    const std::string extension = file.path().extension().string();
    if (extension != ".cpp" && extension != ".c") continue;
    ++programs;
    const std::string name = fs::relative(file.path(), source_dir / "examples").string();
    EXPECT_NE(entry.find("`" + name + "`"), std::string::npos)
        << "README.md's examples entry does not name examples/" << name;
  }
  EXPECT_GT(programs, 0U);
}

TEST(Listings, TheMallocDocumentHasARowForEveryEnvironmentVariable) {
  const std::regex variable("RTALLOC_MALLOC_[A-Z_]+[A-Z]");
  std::set<std::string> names;
  for (const auto& file : fs::directory_iterator(source_dir / "src" / "malloc")) {
    const std::string text = read_file(file.path());
    for (auto it = std::sregex_iterator(text.begin(), text.end(), variable);
         it != std::sregex_iterator(); ++it)
      names.insert(it->str());
  }
  EXPECT_TRUE(names.count("RTALLOC_MALLOC_DISCARD_THRESHOLD") != 0) << "the search found nothing";
  const std::string document = read_file(source_dir / "docs" / "malloc.md");
  for (const std::string& name : names) {
    EXPECT_NE(document.find("\n| `" + name + "` |"), std::string::npos)
        << "docs/malloc.md's table of environment variables has no row for " << name;
  }
}

}  // namespace
