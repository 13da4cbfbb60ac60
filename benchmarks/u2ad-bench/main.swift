print("u2ad-bench")
