def is_not_prime(n):
    return n % 2 == 0
