// C++ allocations reach the sampler through libstdc++'s operator new, which
// calls malloc: containers and new[] here must show up in the heap profile.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

__attribute__((noinline)) static std::vector<std::unique_ptr<std::string>> keep_strings(size_t n)
{
    std::vector<std::unique_ptr<std::string>> v;
    for (size_t i = 0; i < n; i++)
        v.emplace_back(new std::string(1000, 'x'));
    return v;
}

__attribute__((noinline)) static std::map<int, std::vector<char>> keep_map(int n)
{
    std::map<int, std::vector<char>> m;
    for (int i = 0; i < n; i++)
        m[i] = std::vector<char>(4000, 'y');
    return m;
}

int main()
{
    auto s = keep_strings(20000);          // ~20 MB live through new
    auto m = keep_map(5000);               // ~20 MB live through the allocator
    char *arr = new char[8 << 20];         // 8 MB through new[]
    arr[0] = 1;
    std::printf("cxx_alloc: %zu strings, %zu map entries\n", s.size(), m.size());
    delete[] arr;
    return 0;
}
