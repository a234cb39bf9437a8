// `seqrec generate`：写出内置合成数据集（user_id,item_id,timestamp），便于查看或在别的工具里使用。
#include <cstdio>
#include <memory>

#include "commands.h"
#include "data/synthetic.h"

namespace seqrec::app {

// 注册 generate 子命令。
void setup_generate(CLI::App& app) {
  auto opt = std::make_shared<SyntheticOptions>();
  auto out = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("generate", "write the built-in synthetic dataset as ratings.csv");
  cmd->add_option("--out", *out, "output CSV path")->required();
  cmd->add_option("--users", opt->users, "number of users")->capture_default_str();
  cmd->add_option("--items", opt->items, "number of items")->capture_default_str();
  cmd->add_option("--groups", opt->groups, "latent item groups")->capture_default_str();
  cmd->add_option("--mean-length", opt->mean_length, "mean interactions per user")->capture_default_str();
  cmd->add_option("--seed", opt->seed, "random seed")->capture_default_str();
  cmd->callback([opt, out] {
    Interactions data = generate_synthetic(*opt);
    write_interactions_csv(*out, data);
    std::printf("wrote %s: %zu interactions, %zu users, %zu items\n", out->c_str(), data.size(), data.users.size(),
                data.items.size());
  });
}

}  // namespace seqrec::app
