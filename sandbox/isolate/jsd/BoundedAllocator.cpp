// Built with -fno-rtti (see CMakeLists.txt): it derives from a V8 class, and
// libnode is built without RTTI, so there is no typeinfo to refer to.
#include "sandbox/isolate/jsd/BoundedAllocator.h"

#include <atomic>

namespace airlock::jsd {
namespace {

class BoundedAllocator final : public v8::ArrayBuffer::Allocator {
public:
    BoundedAllocator(size_t limit, RefusedFn onRefused, void *data)
        : m_inner(v8::ArrayBuffer::Allocator::NewDefaultAllocator()), m_limit(limit), m_onRefused(onRefused),
          m_data(data)
    {
    }
    void *Allocate(size_t length) override
    {
        return reserve(length) ? release(m_inner->Allocate(length), length) : nullptr;
    }
    void *AllocateUninitialized(size_t length) override
    {
        return reserve(length) ? release(m_inner->AllocateUninitialized(length), length) : nullptr;
    }
    void Free(void *data, size_t length) override
    {
        m_inner->Free(data, length);
        m_used -= length;
    }

private:
    bool reserve(size_t length)
    {
        size_t used = m_used.load();
        do {
            if (length > m_limit || used > m_limit - length) {
                if (m_onRefused)
                    m_onRefused(m_data);
                return false;
            }
        } while (!m_used.compare_exchange_weak(used, used + length));
        return true;
    }
    void *release(void *data, size_t length)
    {
        if (!data)
            m_used -= length;
        return data;
    }

    std::unique_ptr<v8::ArrayBuffer::Allocator> m_inner;
    const size_t m_limit;
    const RefusedFn m_onRefused;
    void *const m_data;
    std::atomic<size_t> m_used{0};
};

} // namespace

std::unique_ptr<v8::ArrayBuffer::Allocator> newBoundedAllocator(std::size_t limit, RefusedFn onRefused, void *data)
{
    return std::make_unique<BoundedAllocator>(limit, onRefused, data);
}

} // namespace airlock::jsd
