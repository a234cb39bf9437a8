// 数据选项实现。
#include "data_flags.h"

#include <cmath>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "core/error.h"
#include "core/files.h"
#include "data/cache.h"

#include <cstdio>

namespace seqrec::app {

std::vector<std::string> DataFlags::shaping_options() {
  return {"--format",       "--sep",          "--header",         "--columns",        "--user-col",
          "--item-col",     "--time-col",     "--rating-col",     "--min-rating",     "--min-user-inter",
          "--min-item-inter", "--split-mode", "--temporal-valid", "--temporal-test",  "--synthetic-users",
          "--synthetic-items", "--synthetic-seed"};
}

void DataFlags::add_to(CLI::App* cmd, const char* data_help) {
  cmd->add_option("--data", data, data_help ? data_help : "interactions file: CSV/TSV/DAT (user, item, timestamp[, rating]), sequence file, "
                                  "RecBole .inter or OTTO JSONL; omit to use the built-in synthetic dataset");
  cmd->add_option("--format", format, "file format: auto, csv, seq (seq-plain: items per line, line = user; "
                                      "seq-uid: 'uid i1 i2 ...'; seq-pairs: 'user item' per line), inter, otto")
      ->capture_default_str()
      ->check([](const std::string& s) {
        try {
          parse_data_format(s);
          return std::string();
        } catch (const std::exception& e) {
          return std::string(e.what());
        }
      });
  cmd->add_option("--cache-dir", cache_dir,
                  "where parsed data is cached so a second run does not re-parse the file "
                  "(default $SEQREC_CACHE_DIR, $XDG_CACHE_HOME/seqrec or ~/.cache/seqrec)");
  cmd->add_flag("--no-cache", no_cache, "neither read nor write the preprocessing cache");
  cmd->add_option("--sep", csv.sep, "field separator: auto, ',', '\\t', ';', '::' ...")->capture_default_str();
  cmd->add_option("--header", csv.header, "whether the first line is a header: auto, yes, no")->capture_default_str();
  cmd->add_option("--columns", columns, "column names for a file without header, e.g. user_id,item_id,rating,timestamp");
  cmd->add_option("--user-col", csv.user_col, "user column (MovieLens userId is recognised too)")->capture_default_str();
  cmd->add_option("--item-col", csv.item_col, "item column (MovieLens movieId is recognised too)")->capture_default_str();
  cmd->add_option("--time-col", csv.time_col, "timestamp column (numeric)")->capture_default_str();
  cmd->add_option("--rating-col", csv.rating_col, "rating column (optional; used by --min-rating)")->capture_default_str();
  cmd->add_option("--min-rating", filter.min_rating, "drop interactions rated below this (default: keep all)");
  cmd->add_option("--min-user-inter", filter.min_user_interactions, "k-core: minimum interactions per user (>= 3)")
      ->capture_default_str();
  cmd->add_option("--min-item-inter", filter.min_item_interactions, "k-core: minimum interactions per item")
      ->capture_default_str();
  cmd->add_option("--split-mode", filter.split,
                  "loo: leave-one-out (last item = test, second-to-last = validation); temporal: global time split, "
                  "the last --temporal-test of all interactions (by time) are test targets, the --temporal-valid "
                  "before them validation targets")
      ->capture_default_str()
      ->check(CLI::IsMember({"loo", "temporal"}));
  cmd->add_option("--temporal-valid", filter.valid_frac, "temporal split: share of interactions in the validation period")
      ->capture_default_str();
  cmd->add_option("--temporal-test", filter.test_frac, "temporal split: share of interactions in the test period")
      ->capture_default_str();
  cmd->add_option("--synthetic-users", synthetic.users, "built-in dataset: number of users")->capture_default_str();
  cmd->add_option("--synthetic-items", synthetic.items, "built-in dataset: number of items")->capture_default_str();
  cmd->add_option("--synthetic-seed", synthetic.seed, "built-in dataset: random seed")->capture_default_str();
}

nlohmann::json DataFlags::to_json() const {
  nlohmann::json j;
  if (data.empty()) {
    j["source"] = "synthetic";
    j["synthetic"] = {{"users", synthetic.users}, {"items", synthetic.items}, {"groups", synthetic.groups},
                      {"mean_length", synthetic.mean_length}, {"seed", synthetic.seed}};
  } else {
    j["source"] = std::filesystem::absolute(data).string();  // 绝对路径：eval 可以在任何目录下重建数据集
    j["format"] = format;
    j["csv"] = {{"sep", csv.sep}, {"header", csv.header}, {"columns", columns}, {"user_col", csv.user_col},
                {"item_col", csv.item_col}, {"time_col", csv.time_col}, {"rating_col", csv.rating_col}};
  }
  j["filter"] = {{"min_rating", std::isfinite(filter.min_rating) ? nlohmann::json(filter.min_rating) : nlohmann::json()},
                 {"min_user_interactions", filter.min_user_interactions},
                 {"min_item_interactions", filter.min_item_interactions}};
  j["split"] = {{"mode", filter.split}, {"valid_frac", filter.valid_frac}, {"test_frac", filter.test_frac}};
  return j;
}

DataFlags DataFlags::from_json(const nlohmann::json& j) {
  DataFlags f;
  try {
    if (j.at("source") == "synthetic") {
      const auto& s = j.at("synthetic");
      f.synthetic.users = s.at("users");
      f.synthetic.items = s.at("items");
      f.synthetic.groups = s.at("groups");
      f.synthetic.mean_length = s.at("mean_length");
      f.synthetic.seed = s.at("seed");
    } else {
      f.data = j.at("source");
      f.format = j.value("format", "auto");  // 早期的 manifest 没有这一项
      const auto& c = j.at("csv");
      f.csv.sep = c.at("sep");
      f.csv.header = c.at("header");
      f.columns = c.at("columns");
      f.csv.user_col = c.at("user_col");
      f.csv.item_col = c.at("item_col");
      f.csv.time_col = c.at("time_col");
      f.csv.rating_col = c.at("rating_col");
    }
    const auto& fl = j.at("filter");
    if (!fl.at("min_rating").is_null()) f.filter.min_rating = fl.at("min_rating");
    f.filter.min_user_interactions = fl.at("min_user_interactions");
    f.filter.min_item_interactions = fl.at("min_item_interactions");
    if (j.contains("split")) {  // 早期的 manifest 没有这一项（留一法）
      f.filter.split = j["split"].at("mode");
      f.filter.valid_frac = j["split"].at("valid_frac");
      f.filter.test_frac = j["split"].at("test_frac");
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(concat("manifest.json: data description is incomplete: ", e.what()));
  }
  return f;
}

SequenceData DataFlags::load() const {
  CsvOptions c = csv;
  c.columns.clear();
  std::stringstream ss(columns);
  std::string tok;
  while (std::getline(ss, tok, ',')) c.columns.push_back(tok);
  if (data.empty()) return build_sequences(generate_synthetic(synthetic), filter);
  // 缓存：键包含文件的路径、大小、修改时间与全部读取选项；命中则跳过解析与过滤。
  const std::string dir = no_cache ? "" : (cache_dir.empty() ? default_cache_dir() : cache_dir);
  std::string cp;
  if (!dir.empty()) {
    cp = cache_path(dir, data, to_json());
    if (std::filesystem::exists(cp)) {
      std::string why;
      try {
        if (auto d = decode_sequence_data(read_file(cp), &why)) {
          std::fprintf(stderr, "data: read from cache %s\n", cp.c_str());
          return std::move(*d);
        }
      } catch (const std::exception& e) {
        why = e.what();
      }
      std::fprintf(stderr, "data: cache %s ignored (%s); re-reading %s\n", cp.c_str(), why.c_str(), data.c_str());
    }
  }
  SequenceData sd = build_sequences(read_any(data, parse_data_format(format), c), filter);
  if (!cp.empty()) {
    try {
      std::filesystem::create_directories(dir);
      write_file_atomic(cp, encode_sequence_data(sd));
    } catch (const std::exception& e) {  // 缓存只是加速：写不了就提示，不影响结果
      std::fprintf(stderr, "data: cannot write cache %s: %s\n", cp.c_str(), e.what());
    }
  }
  return sd;
}

}  // namespace seqrec::app
