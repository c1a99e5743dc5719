// RAII for a bpftool-generated skeleton: destroyed exactly once, movable.
//   sg::Skeleton<synguard_xdp> s(synguard_xdp__open(), synguard_xdp__destroy);
#pragma once

#include <utility>

namespace sg {

template <class T>
class Skeleton {
 public:
  using Destroy = void (*)(T*);
  Skeleton() = default;
  Skeleton(T* obj, Destroy destroy) : obj_(obj), destroy_(destroy) {}
  ~Skeleton() { reset(); }
  Skeleton(const Skeleton&) = delete;
  Skeleton& operator=(const Skeleton&) = delete;
  Skeleton(Skeleton&& o) noexcept : obj_(std::exchange(o.obj_, nullptr)), destroy_(o.destroy_) {}
  Skeleton& operator=(Skeleton&& o) noexcept {
    if (this != &o) {
      reset();
      obj_ = std::exchange(o.obj_, nullptr);
      destroy_ = o.destroy_;
    }
    return *this;
  }

  T* get() const { return obj_; }
  T* operator->() const { return obj_; }
  explicit operator bool() const { return obj_ != nullptr; }
  void reset() {
    if (obj_ && destroy_) destroy_(obj_);
    obj_ = nullptr;
  }

 private:
  T* obj_ = nullptr;
  Destroy destroy_ = nullptr;
};

}  // namespace sg
