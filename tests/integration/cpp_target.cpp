// A C++ program with known functions in a namespace, a class and a template, for
// profile tests: built with frame pointers and nothing inlined, so a frame-pointer walk
// sees main -> ringlua_cpp::Outer::run(int) -> ringlua_cpp::spin<int>(int, int).
//   cpp_target SECONDS
#include <chrono>
#include <cstdlib>

namespace ringlua_cpp {

template <typename T> __attribute__((noinline)) T spin(T seed, int rounds)
{
	volatile T x = seed;
	for (int i = 0; i < rounds; i++)
		x = x * 31 + i;
	return x;
}

class Outer {
public:
	__attribute__((noinline)) long run(double seconds)
	{
		auto until = std::chrono::steady_clock::now() +
			     std::chrono::duration<double>(seconds);
		long sum = 0;
		while (std::chrono::steady_clock::now() < until)
			sum += spin<int>(7, 100000);
		return sum;
	}
};

} // namespace ringlua_cpp

int main(int argc, char **argv)
{
	ringlua_cpp::Outer outer;

	return outer.run(argc > 1 ? std::atof(argv[1]) : 1.0) == 42;
}
