#pragma once
// A first-come-first-served mutex for coroutines on one executor, made from a one-slot channel:
// lock() sends into the slot (waiting while it is full), unlock() empties it and so admits the
// next waiting sender. A waiter whose coroutine is cancelled leaves the queue (the channel
// supports per-operation cancellation) and lock() throws operation_aborted.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace gic::kube {

class AsyncMutex {
public:
    class Guard {
    public:
        explicit Guard(AsyncMutex* mutex) : mutex_(mutex) {}
        Guard(Guard&& other) noexcept : mutex_(std::exchange(other.mutex_, nullptr)) {}
        Guard& operator=(Guard&&) = delete;
        ~Guard() {
            if (mutex_) mutex_->unlock();
        }

    private:
        AsyncMutex* mutex_;
    };

    explicit AsyncMutex(boost::asio::any_io_executor executor) : slot_(std::move(executor), 1) {}

    boost::asio::awaitable<Guard> lock() {
        co_await slot_.async_send(boost::system::error_code{}, boost::asio::use_awaitable);
        co_return Guard(this);
    }

private:
    void unlock() { slot_.try_receive([](boost::system::error_code) {}); }

    boost::asio::experimental::channel<void(boost::system::error_code)> slot_;
};

}  // namespace gic::kube
