// 可配置的事件类型与权重（serve / retrain 的 --event-types，例如 "click:1,cart:3,order:6,view:0"）。
//
// 名字：小写字母、数字、'_'、'-'，1..32 字节。三个内置类型沿用 OTTO 的复数写法并接受单数别名
// （click = clicks，cart = carts，order = orders），编号固定为 0、1、2（data/events.h）；其余名字的编号由
// 事件存储分配并持久保存（store/history_store.h 的 type_code），所以改动列表的顺序不会改变已存事件的含义。
//
// 权重：≥ 0 的有限数，省略时为 1。重新训练时每个事件作为“下一个物品”目标的损失乘以它所属类型的权重，
// 质量门与验证的指标按目标的权重加权平均；权重为 0 的类型只作为历史（模型的输入），从不作为目标。
// 只有比例有意义：训练前权重被整体缩放到训练目标上的平均值为 1，学习率不必随权重改。
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace seqrec {

// 一个类型：规范名（内置类型为复数写法）、权重、存储分配的编号（assign_codes 之前为 -1）。
struct EventType {
  std::string name;
  double weight = 1.0;
  int code = -1;
};

// 默认的类型列表：三个内置类型，权重都是 1。
inline constexpr const char* kDefaultEventTypes = "clicks,carts,orders";

// 规范名：内置类型的单数别名换成复数写法，其余原样（返回 name 本身或静态字符串，不分配：写入的热路径上每个事件都查）。
std::string_view canonical_event_type(std::string_view name);

// 一组已配置的类型。
class EventTypes {
 public:
  // 解析 "name[:weight],..."；flag 用于错误消息（如 "--event-types"）。名字非法、重复（含别名）、
  // 权重不是 ≥ 0 的有限数、列表为空或全部权重为 0 时抛出 Error。内置类型的编号直接填好。
  static EventTypes parse(const std::string& spec, const std::string& flag);

  // 为非内置类型取编号（code_of 由事件存储提供：已有的返回原编号，新名字登记一个新编号）。
  void assign_codes(const std::function<int(const std::string&)>& code_of);

  const std::vector<EventType>& list() const { return types_; }
  // 名字（接受别名）对应的类型；不在列表里时为 nullptr。
  const EventType* find(std::string_view name) const;
  // 编号对应的类型；不在列表里时为 nullptr。
  const EventType* by_code(int code) const;
  // 名字列表（错误消息用）："clicks, carts, orders"。
  std::string names() const;
  // 原样可再解析的文本："clicks:1,carts:3"（写进 manifest；顺序有意义：第一个是没给类型时的类型）。
  std::string spec() const;
  // 权重是否全为 1（此时训练与默认的不加权完全相同）。
  bool uniform() const;

 private:
  std::vector<EventType> types_;
};

}  // namespace seqrec
